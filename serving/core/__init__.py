"""The API's configuration."""
