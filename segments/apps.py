from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Segments"

    def ready(self) -> None:
        _cache_tables2_signatures()


def _cache_tables2_signatures() -> None:
    """django-tables2 inspects the signature of a render method for every cell it
    renders: a third of a table partial's time (measured with bench/). A
    function's signature never changes, so each is inspected once."""
    from django_tables2 import utils

    if getattr(utils.signature, "cached", False):
        return
    inspect_signature = utils.signature
    known: dict = {}

    def signature(fn):
        key = getattr(fn, "__func__", fn)
        if key not in known:
            if len(known) > 4096:  # only if callables were made per request
                known.clear()
            known[key] = inspect_signature(fn)
        return known[key]

    signature.cached = True
    utils.signature = signature
