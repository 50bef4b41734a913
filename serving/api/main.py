"""Every router of the API, in the order the OpenAPI page lists them."""

from fastapi import APIRouter

from serving.api.routes import admin, batch, employees, evaluations, forecasts, ops, plans, widget

api_router = APIRouter()
for routes in (ops, employees, forecasts, batch, plans, evaluations, widget, admin):
    api_router.include_router(routes.router)
api_router.include_router(widget.script_router)
