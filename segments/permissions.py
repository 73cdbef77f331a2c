"""The permission names the views and tables check (the roles are in migration 0002)."""

VIEW = "segments.view_segment"
OPERATE = "segments.operate_segment"
MANAGE_WEBHOOKS = "segments.manage_webhooks"
