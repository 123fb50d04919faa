from django.apps import AppConfig


class RpAppConfig(AppConfig):
    name = "rp_app"
    default_auto_field = "django.db.models.AutoField"
