"""SecretStore: the OS keyring through the keyring library, or session memory without one."""

from __future__ import annotations

import keyring
from keyring.backends import fail
from keyring.errors import KeyringLocked

from desktop.security.redaction import redact
from desktop.security.secrets import SERVICE, SecretStore, backend_problem
from memory_keyring import MemoryKeyring

SECRET = "hunter2-correct-horse"


class LockedKeyring(MemoryKeyring):
    def set_password(self, service, username, password):
        raise KeyringLocked("the keyring is locked")


class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's plain-text file backend."""


def test_secret_goes_to_the_keyring_under_service_and_connection_field(memory_keyring):
    store = SecretStore()
    ref = store.store("c0ffee", "api_key", SECRET)
    assert store.available and store.reason == ""
    assert ref == "keyring:Tradedesk/c0ffee:api_key" and SECRET not in ref
    assert memory_keyring.entries == {(SERVICE, "c0ffee:api_key"): SECRET}
    assert SecretStore().get("c0ffee", "api_key") == SECRET  # a new session reads it back
    assert "system keyring" in store.description()
    store.delete("c0ffee", "api_key")
    store.delete("c0ffee", "api_key")  # absent: no error
    assert memory_keyring.entries == {} and store.get("c0ffee", "api_key") is None


def test_without_a_backend_secrets_live_in_memory_for_the_session():
    keyring.set_keyring(fail.Keyring())
    store = SecretStore()
    assert not store.available and store.reason == "no system keyring service was found"
    ref = store.store("c0ffee", "password", SECRET)
    assert ref == "session:c0ffee:password"
    assert store.get("c0ffee", "password") == SECRET
    assert SecretStore().get("c0ffee", "password") is None  # gone with the session
    assert "never written to disk" in store.description() and "asked for them again" in store.description()
    found, missing = store.secrets_for("c0ffee", ["password", "otp"])
    assert found == {"password": SECRET} and missing == ["otp"]


def test_a_backend_that_refuses_falls_back_to_memory_and_says_why():
    store = SecretStore(backend=LockedKeyring())
    assert store.available
    ref = store.store("id1", "token", SECRET)
    assert ref.startswith("session:") and store.get("id1", "token") == SECRET
    assert not store.available and "KeyringLocked" in store.reason


def test_unsafe_backends_are_not_used():
    assert backend_problem(fail.Keyring()) == "no system keyring service was found"
    assert backend_problem(PlaintextKeyring()) == "the only keyring backend stores passwords as plain text"
    assert backend_problem(MemoryKeyring()) is None
    from keyring.backends import null

    assert "switched off" in backend_problem(null.Keyring())
    store = SecretStore(backend=PlaintextKeyring())
    assert store.store("id", "pw", SECRET).startswith("session:")
    assert store._backend.entries == {}  # the plain-text backend never saw it


def test_every_secret_handled_is_redacted_from_logs(memory_keyring):
    memory_keyring.entries[(SERVICE, "old:api_key")] = "stored-before-this-session"
    store = SecretStore()
    store.store("new", "api_key", SECRET)
    store.get("old", "api_key")
    assert redact(f"sent {SECRET} and stored-before-this-session") == "sent [REDACTED] and [REDACTED]"


def test_after_a_refused_store_saved_secrets_are_still_read_and_deleted():
    class FlakyKeyring(MemoryKeyring):
        refuse = False

        def set_password(self, service, username, password):
            if self.refuse:
                raise KeyringLocked("the keyring is locked")
            super().set_password(service, username, password)

    backend = FlakyKeyring()
    store = SecretStore(backend=backend)
    assert store.store("old", "token", SECRET).startswith("keyring:")
    backend.refuse = True
    assert store.store("new", "token", "other-secret").startswith("session:")
    assert store.get("old", "token") == SECRET  # saved before the refusal: still in the keyring
    store.delete("old", "token")
    assert backend.entries == {}  # removing a connection leaves nothing behind in the OS keyring
