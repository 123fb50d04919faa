"""A user model shaped like Docs' / Drive's: identified by the OIDC ``sub``.

lasuite's OIDCAuthenticationBackend creates users with ``UserModel(sub=..., email=...,
name=...)`` and its ResourceServerBackend looks them up with ``objects.get(sub=...)``, so the
model needs those three fields.
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager):
    def create_user(self, sub, email=None, **extra):
        user = self.model(sub=sub, email=email, **extra)
        user.set_unusable_password()
        user.save()
        return user


class User(AbstractBaseUser):
    sub = models.CharField(max_length=255, unique=True, null=True, blank=True)
    email = models.EmailField(null=True, blank=True)
    name = models.CharField(max_length=100, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    USERNAME_FIELD = "sub"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    def __str__(self):
        return f"{self.sub} <{self.email}>"
