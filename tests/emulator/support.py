"""What the sandbox's tests share: its credentials, the shapes of its answers,
the seed's example request and helpers over plain ``requests``."""

import json
import re
import socket
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sandbox-api-key"
LOGIN = {"userName": "sandbox", "password": "sandbox-password"}
SEGMENT_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")
LIST_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
REQUEST_ID = re.compile(r"sbx-[0-9a-f]+")
ACCOUNT_FIELDS = {
    "id",
    "name",
    "platformId",
    "platformName",
    "platformDisplayName",
    "agencyId",
    "accountTypeId",
    "advertiserId",
    "clientId",
    "agencyName",
    "accountTypeName",
    "defaultSegmentPricingCategoryId",
    "created",
    "updated",
    "accessToken",
}
AUDIENCE_FIELDS = {
    "id",
    "userId",
    "name",
    "description",
    "campaignId",
    "campaignName",
    "created",
    "updated",
    "startDate",
    "endDate",
    "dataUpdated",
    "activationStatus",
    "activationStatusId",
    "lifetimeStatus",
    "lifetimeStatusId",
    "audienceState",
    "audienceStateId",
    "type",
    "typeId",
    "sourceAudienceId",
    "sourceAudienceTypeId",
    "canCreateLookalike",
    "hasSegments",
    "tagCollection",
    "crmData",
}
# The seed's example request body (seeds/004), verbatim.
SEED_EXAMPLE = """{
  "page_details": {
    "page_no": 1,
    "page_size": 10
  },
  "audience_type": "segment",
  "sorting_criteria": {
    "sort_by": "updated_date",
    "sort_order": "desc"
  },
  "filtering_criteria": {
    "audience_ids": [
      12,
      23,
      43,
      45,
      100,
      213,
      232,
      413,
      213,
      132
    ],
    "last_updated_date_range": {
      "value": "2023-01-16T12:30:45Z",
      "condition": "gt"
    },
    "last_refreshed_date_range": {
      "condition": "bt",
      "lower_bound_value": "2023-01-10T12:30:45Z",
      "upper_bound_value": "2023-01-16T12:30:45Z"
    }
  }
}"""


def list_api(srv, body, *, key=API_KEY, url=None, http=requests):
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"api-key": key, "Content-Type": "application/json", "Accept": "application/json"}
    return http.post(url or srv.list_api_url, data=data, headers=headers)


def catalogue(srv, kind):
    """Every audience of one type, via the List API."""
    rows, page = [], 1
    while True:
        body = {"audience_type": kind, "page_details": {"page_no": page, "page_size": 100}}
        data = list_api(srv, body).json()["data"]
        rows += data["audience_details"]
        if page >= data["page_details"]["page_max"]:
            return rows
        page += 1


def segment_of(srv, http, index):
    """A distinct segment per test: the first segment of the index-th non-empty audience."""
    audience_id = 1000
    while index >= 0:
        audience_id += 1
        url = f"{srv.segment_api_url}/segment/audience/{audience_id}"
        segments = http.get(url).json()["data"]
        index -= bool(segments)
    return segments[0]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
