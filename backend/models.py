"""No models. Django sends post_migrate only to apps with a models module, and
backend.apps listens to it to grant the application's role (backend/roles.py)."""
