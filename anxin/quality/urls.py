from django.urls import path

from .web import views

app_name = "quality"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.live, name="live"),
    path("map.json", views.map_points, name="map"),
    path("control.json", views.control_chart, name="control"),
    path("figures/<str:indicator>/", views.drill_down, name="drill"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/<str:scope>/<str:key>/", views.scorecard, name="scorecard"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("reports/", views.reports, name="reports"),
    path("reports/<str:month>.<str:fmt>", views.report_file, name="report_file"),
]
