"""Every router of the API, in the order the OpenAPI page lists them."""

from fastapi import APIRouter

from serving.api.routes import admin, batch, employees, forecasts, ops, plans, widget

api_router = APIRouter()
for routes in (ops, employees, forecasts, batch, plans, widget, admin):
    api_router.include_router(routes.router)
api_router.include_router(widget.script_router)
