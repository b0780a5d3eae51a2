"""The typed schema of `auth-profiles.json` (SPEC 2), for the wizard, the browser and the flows.

The sink itself works on the plain dicts it read (fast, and lossless by construction); these models are
the checked, typed view of the same data. They are lossless too: unknown fields and keys are kept, and
`to_json()` gives back the dict in the order it was read (CoderClaw's order for new keys). Secrets are
plain `str`, never `SecretStr`, because a SecretStr dumps as asterisks and would destroy the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
    model_validator,
)


class _OrderedModel(BaseModel):
    """Keeps every unknown field and remembers the order keys were read in, so a dump is the input again."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    _key_order: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if isinstance(data, dict):
            model._key_order = list(data)
        return model

    @model_serializer(mode="wrap")
    def _serialize_in_read_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Keys read come back in their order, new ones in schema order; an optional field nobody set is left
        out rather than written as null (an explicit null that was read stays)."""
        data = handler(self)
        unset_nulls = {
            (info.alias or name)
            for name, info in type(self).model_fields.items()
            if name not in self.model_fields_set and data.get(info.alias or name) is None
        }
        schema = [info.alias or name for name, info in type(self).model_fields.items()]
        first_read = min((schema.index(k) for k in self._key_order if k in schema), default=len(schema))
        new = [k for k in data if k not in self._key_order and k not in unset_nulls]
        front = [k for k in new if k in schema and schema.index(k) < first_read]
        keys = front + [k for k in self._key_order if k in data] + [k for k in new if k not in front]
        return {k: data[k] for k in keys}

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class ApiKeyCredential(_OrderedModel):
    type: Literal["api_key"] = "api_key"
    provider: str = Field(min_length=1, description="Provider id, e.g. anthropic.")
    key: str = Field(description="The API key itself.")
    email: str | None = Field(default=None, description="Account the key belongs to, when known.")
    metadata: dict[str, str] | None = Field(default=None, description="Provider-specific ids (account, gateway).")


class TokenCredential(_OrderedModel):
    type: Literal["token"] = "token"
    provider: str = Field(min_length=1)
    token: str = Field(description="A static bearer token; never refreshed.")
    expires: int | None = Field(default=None, description="Milliseconds since the epoch; unusable afterwards.")
    email: str | None = None


class OAuthCredential(_OrderedModel):
    type: Literal["oauth"] = "oauth"
    provider: str = Field(min_length=1)
    access: str = Field(description="Access token sent with requests.")
    refresh: str = Field(description="Refresh token; rotates on every refresh for most providers.")
    expires: int = Field(description="Milliseconds since the epoch when `access` expires.")
    email: str | None = None
    accountId: str | None = Field(default=None, description="openai-codex: the ChatGPT account id from the JWT.")
    clientId: str | None = None
    projectId: str | None = Field(default=None, description="google-gemini-cli / antigravity project.")
    enterpriseUrl: str | None = Field(default=None, description="github-copilot enterprise host.")


Credential = Annotated[Union[ApiKeyCredential, TokenCredential, OAuthCredential], Field(discriminator="type")]
credential_adapter: TypeAdapter[ApiKeyCredential | TokenCredential | OAuthCredential] = TypeAdapter(Credential)


class ProfileUsageStats(_OrderedModel):
    lastUsed: int | None = Field(default=None, description="ms epoch of the last success; orders round-robin.")
    cooldownUntil: int | None = Field(default=None, description="ms epoch; set by non-billing failures.")
    disabledUntil: int | None = Field(default=None, description="ms epoch; set by billing failures.")
    disabledReason: str | None = None
    errorCount: int | None = None
    failureCounts: dict[str, int] | None = None
    lastFailureAt: int | None = None


class AuthProfileStore(_OrderedModel):
    """The whole file. `profiles` holds raw dicts so entries of unknown type survive (kept, not offered)."""

    version: int | float = 1
    profiles: dict[str, Any] = Field(default_factory=dict)
    order: dict[str, list[str]] | None = None
    lastGood: dict[str, str] | None = None
    usageStats: dict[str, ProfileUsageStats] | None = None

    def credential(self, profile_id: str) -> ApiKeyCredential | TokenCredential | OAuthCredential:
        return credential_adapter.validate_python(self.profiles[profile_id])

    def to_json(self) -> dict[str, Any]:
        """CoderClaw's key order for the known keys, then unknown top-level keys in the order read."""
        dumped = super().to_json()
        known = ("version", "profiles", "order", "lastGood", "usageStats")
        ordered = {k: dumped[k] for k in known if k in dumped}
        ordered.update({k: v for k, v in dumped.items() if k not in known})
        return ordered
