"""The ASGI application: `uvicorn <package>.main:app`."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/livez")
def livez() -> dict[str, str]:
    """The process is up. Checks no dependency, so a slow database never restarts us."""
    return {"status": "ok"}


@app.get("/readyz")
def readyz() -> dict[str, str]:
    """Ready to take traffic."""
    return {"status": "ok"}
