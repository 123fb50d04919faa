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


class MediaUpload(models.Model):
    """Who uploaded which object (the stand-in apps' whole media model).

    Upstream decides media-auth from its documents (Docs: a document the user may read lists the
    attachment key) or items (Drive: the item named in the key, with the user's abilities on it).
    The stand-ins have neither; this row is what they keep instead: the object's key, the
    document or item id in it, its owner, its type and whether its upload is over."""

    key = models.CharField(max_length=1024, unique=True)
    resource_id = models.UUIDField(db_index=True)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="media_uploads")
    mimetype = models.CharField(max_length=255)
    ready = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.key} ({self.owner})"
