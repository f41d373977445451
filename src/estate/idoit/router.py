"""The i-doit JSON-RPC endpoint (being written)."""

from fastapi import APIRouter

router = APIRouter()
