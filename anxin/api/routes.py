"""The routers of every app, mounted on the one API."""

from __future__ import annotations

from ninja import NinjaAPI


def register(api: NinjaAPI) -> None:
    from anxin.assurance.api import router as assurance
    from anxin.customers.api import router as customers
    from anxin.feedback.api import router as feedback
    from anxin.network.api import router as network
    from anxin.people.api import router as people
    from anxin.quality.api import router as quality
    from anxin.rescue.api import router as rescue
    from anxin.rescue.api_evidence import router as rescue_evidence
    from anxin.workshop.api import router as workshop

    api.add_router("/network", network, tags=["network"])
    api.add_router("/people", people, tags=["people"])
    api.add_router("/customers", customers, tags=["customers"])
    api.add_router("/rescue", rescue, tags=["rescue"])
    api.add_router("/rescue", rescue_evidence, tags=["rescue"])
    api.add_router("/workshop", workshop, tags=["workshop"])
    api.add_router("/feedback", feedback, tags=["feedback"])
    api.add_router("/quality", quality, tags=["quality"])
    api.add_router("/assurance", assurance, tags=["assurance"])
