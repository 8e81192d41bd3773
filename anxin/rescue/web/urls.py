from django.urls import path

from . import console, crew, intake, jobs, track

urlpatterns = [
    path("console/", console.console, name="console"),
    path("console/queue/", console.queue, name="queue"),
    path("console/live.json", console.live, name="live"),
    path("console/jobs/<int:pk>/panel/", console.panel, name="panel"),
    path("console/jobs/<int:pk>/review/", console.review, name="review"),
    path("console/jobs/<int:pk>/dispatch/", console.dispatch, name="dispatch"),
    path("intake/", intake.intake, name="intake"),
    path("intake/lookup/", intake.lookup, name="lookup"),
    path("request/", intake.public_request, name="public_request"),
    path("jobs/", jobs.JobList.as_view(), name="jobs"),
    path("jobs/<int:pk>/", jobs.job_page, name="job"),
    path("jobs/<int:pk>/transition/", jobs.transition, name="transition"),
    path("crew/", crew.crew, name="crew"),
    path("crew/jobs/<int:pk>/next/", crew.crew_next, name="crew_next"),
    path("crew/daily-check/", crew.daily_check, name="daily_check"),
    path("t/<str:token>/", track.track, name="track"),
    path("t/<str:token>/status/", track.track_status, name="track_status"),
]
