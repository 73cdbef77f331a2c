"""The floor for a sync: fetch what the sync fetches, with one plain session.

Same requests in the same order as ``sync_run(full=True)``: log in, the
accounts, every catalogue page of both audience types (page size 100, sorted by
id), then every audience's segments. Segment bodies are read in full but not
parsed or stored. Catalogue pages are parsed, because the audience ids and the
page count are in them (20 small pages for 2,000 audiences).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

CATALOGUE_PAGE_SIZE = 100
TYPES = ("list", "segment")


@dataclass
class RawFetch:
    seconds: float
    requests: int
    audiences: int
    body_bytes: int


def raw_fetch(
    *,
    segment_api_url: str,
    list_api_url: str,
    username: str,
    password: str,
    api_key: str,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> RawFetch:
    started = time.perf_counter()
    count = size = 0
    with requests.Session() as session:

        def call(method: str, url: str, **kwargs) -> bytes:
            nonlocal count, size
            response = session.request(method, url, timeout=(3, 30), **kwargs)
            response.raise_for_status()
            count += 1
            size += len(response.content)
            return response.content

        call(
            "POST",
            f"{segment_api_url}/account/login",
            json={"userName": username, "password": password},
        )
        call("GET", f"{segment_api_url}/organisation/loadplatformaccounts")
        audience_ids: list[int] = []
        for audience_type in TYPES:
            page_no = page_max = 1
            while page_no <= page_max:
                body = {
                    "audience_type": audience_type,
                    "page_details": {"page_no": page_no, "page_size": CATALOGUE_PAGE_SIZE},
                    "sorting_criteria": {"sort_by": "ids", "sort_order": "asc"},
                }
                data = json.loads(
                    call("POST", list_api_url, json=body, headers={"api-key": api_key})
                )["data"]
                page_max = data["page_details"]["page_max"]
                rows = data["audience_details"]
                if not rows:
                    break
                audience_ids.extend(row["audience_id"] for row in rows)
                page_no += 1
        audience_ids.sort()
        for done, audience_id in enumerate(audience_ids, start=1):
            call("GET", f"{segment_api_url}/segment/audience/{audience_id}")
            progress(done, len(audience_ids))
    return RawFetch(
        seconds=time.perf_counter() - started,
        requests=count,
        audiences=len(audience_ids),
        body_bytes=size,
    )
