from django.urls import path

from jike.customers import views_imports

urlpatterns = [
    path("imports/", views_imports.index, name="index"),
    path("imports/<int:pk>/", views_imports.detail, name="detail"),
    path("imports/<int:pk>/progress/", views_imports.progress, name="progress"),
    path("imports/<int:pk>/rejects.csv", views_imports.download, name="rejects"),
]
