"""One router per resource: ops, employees, forecasts, batch, admin, widget."""
