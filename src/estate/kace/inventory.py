"""Inventory API routes (being written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/inventory")
