"""/ams/shared/api/... routes (being written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/ams/shared/api")
