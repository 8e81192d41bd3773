from django.urls import path

from . import imports, views

app_name = "network"

urlpatterns = [
    path("outlets/", views.OutletList.as_view(), name="outlets"),
    path("outlets/points.json", views.outlet_points, name="outlet_points"),
    path("bases/", views.BaseList.as_view(), name="bases"),
    path("bases/points.json", views.base_points, name="base_points"),
    path("units/", views.UnitList.as_view(), name="units"),
    path("units/points.json", views.unit_points, name="unit_points"),
    path("staff/", views.StaffList.as_view(), name="staff"),
    path("customers/", views.CustomerList.as_view(), name="customers"),
    path("vehicles/", views.VehicleList.as_view(), name="vehicles"),
    path("import/", imports.import_page, name="imports"),
    path("export/<slug:kind>/", imports.export, name="export"),
]
