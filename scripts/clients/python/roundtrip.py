"""A mutuelle's integration engineer's round trip through the client that openapi-python-client
generates from openapi/openapi.json, against a real server (scripts/clients-test.sh): log in with
a password, create a machine client and log in with its credentials, list, create, change with
If-Match, delete with If-Match."""

import os
import sys
from http import HTTPStatus

from cress_api_client import AuthenticatedClient, Client
from cress_api_client.api.auth import issue_token
from cress_api_client.api.changes import list_changes
from cress_api_client.api.clients import create_client
from cress_api_client.api.organisations import (
    create_organisation,
    delete_organisation,
    list_organisations,
    update_organisation,
)
from cress_api_client.models import (
    ChangePage,
    CreateApiClientRequest,
    CreateOrganisationRequest,
    GrantType,
    OrganisationChange,
    OrganisationPage,
    OrganisationResponse,
    RoleName,
    TokenForm,
    TokenRequest,
    TokenResponse,
    UpdateOrganisationRequest,
)

BASE = os.environ.get("CRESS_URL", "http://127.0.0.1:8080")


def check(condition: bool, what: str, detail: object = None) -> None:
    if not condition:
        sys.exit(f"python: {what}: {detail!r}")


anonymous = Client(base_url=BASE)

# A person logs in with JSON.
login = issue_token.sync(
    client=anonymous,
    body=TokenRequest(email=os.environ["CRESS_EMAIL"], password=os.environ["CRESS_PASSWORD"]),
)
check(isinstance(login, TokenResponse), "log in with a password", login)
admin = AuthenticatedClient(base_url=BASE, token=login.access_token, headers={"Accept-Language": "en"})

# A partner system gets its credentials once, then logs in with them (OAuth 2.0 client credentials).
machine = create_client.sync(client=admin, body=CreateApiClientRequest(name="SI de la mutuelle", role=RoleName.VIEWER))
check(machine is not None and hasattr(machine, "client_secret"), "create a machine client", machine)
granted = issue_token.sync(
    client=anonymous,
    body=TokenForm(grant_type=GrantType.CLIENT_CREDENTIALS, client_id=machine.client_id, client_secret=machine.client_secret),
)
check(isinstance(granted, TokenResponse), "log in with client credentials", granted)
viewer = AuthenticatedClient(base_url=BASE, token=granted.access_token)

# List, as the partner.
page = list_organisations.sync(client=viewer, limit=50, count=True)
check(isinstance(page, OrganisationPage), "list organisations", page)
before = page.total

# Create, change with If-Match, delete with If-Match, as the administrator.
created = create_organisation.sync_detailed(
    client=admin,
    body=CreateOrganisationRequest.from_dict(
        {"name": "Épicerie solidaire de Sète", "category": "association", "region_code": "76", "city": "Sète"}
    ),
)
check(created.status_code == HTTPStatus.CREATED and isinstance(created.parsed, OrganisationResponse), "create", created.content)
organisation = created.parsed
changed = update_organisation.sync_detailed(
    organisation.id,
    client=admin,
    body=UpdateOrganisationRequest.from_dict({"postal_code": "34200", "commune_code": "34301"}),
    if_match=created.headers["ETag"],
)
check(changed.status_code == HTTPStatus.OK and isinstance(changed.parsed, OrganisationResponse), "change", changed.content)
check(changed.parsed.postal_code == "34200", "the change shows", changed.parsed)
stale = update_organisation.sync_detailed(
    organisation.id,
    client=admin,
    body=UpdateOrganisationRequest.from_dict({"postal_code": "34000"}),
    if_match=created.headers["ETag"],
)
check(stale.status_code == HTTPStatus.PRECONDITION_FAILED, "a stale If-Match is refused", stale.content)
after = list_organisations.sync(client=viewer, count=True)
check(isinstance(after, OrganisationPage) and after.total == before + 1, "the total counts the new one", after)
deleted = delete_organisation.sync_detailed(organisation.id, client=admin, if_match=changed.headers["ETag"])
check(deleted.status_code == HTTPStatus.NO_CONTENT, "delete", deleted.content)

# The change feed, as a mirror reads it: each item typed by its `type`, with its record.
feed = list_changes.sync(client=viewer, types="organisation", limit=200)
check(isinstance(feed, ChangePage), "read the feed", feed)
mine = [item for item in feed.items if item.id == organisation.id]
check([item.action.value for item in mine] == ["created", "updated", "deleted"], "the feed holds the three changes", mine)
check(all(isinstance(item, OrganisationChange) for item in mine), "each is an OrganisationChange", mine)
check(mine[1].data.postal_code == "34200" and mine[2].data is None, "with the record, then the tombstone", mine[1].data)

print(f"python: logged in twice, listed {before} organisations, created, changed, refused stale, deleted, read the feed")
