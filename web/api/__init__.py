"""The JSON API under /api/v1: a sub-application of its own, whose one error middleware
answers every error as JSON (`web.errors.api_errors`). Each module registers its routes,
relative to the prefix; `web.app` assembles them and describes them in `web.openapi`."""
