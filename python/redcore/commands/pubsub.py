"""PubSubCommands (redis-py method names and signatures)."""

from __future__ import annotations

from typing import Any


class PubSubCommands:
    """Mixin; relies on ``execute_command``."""

    execute_command: Any

    def publish(self, channel: Any, message: Any, **kwargs: Any) -> Any:
        """Publish ``message`` on ``channel``; returns how many subscribers
        received it.

        >>> r.publish("news", "hello")
        0
        """
        return self.execute_command("PUBLISH", channel, message, **kwargs)

    def spublish(self, shard_channel: Any, message: Any) -> Any:
        """Publish ``message`` on a shard channel."""
        return self.execute_command("SPUBLISH", shard_channel, message)

    def pubsub_channels(self, pattern: Any = "*", **kwargs: Any) -> Any:
        """Channels with at least one subscriber, matching ``pattern``."""
        return self.execute_command("PUBSUB CHANNELS", pattern, **kwargs)

    def pubsub_shardchannels(self, pattern: Any = "*", **kwargs: Any) -> Any:
        """Shard channels with at least one subscriber."""
        return self.execute_command("PUBSUB SHARDCHANNELS", pattern, **kwargs)

    def pubsub_numpat(self, **kwargs: Any) -> Any:
        """Number of subscribed patterns."""
        return self.execute_command("PUBSUB NUMPAT", **kwargs)

    def pubsub_numsub(self, *args: Any, **kwargs: Any) -> Any:
        """``[(channel, subscribers), ...]`` for the given channels."""
        return self.execute_command("PUBSUB NUMSUB", *args, **kwargs)

    def pubsub_shardnumsub(self, *args: Any, **kwargs: Any) -> Any:
        """``[(shard channel, subscribers), ...]``."""
        return self.execute_command("PUBSUB SHARDNUMSUB", *args, **kwargs)
