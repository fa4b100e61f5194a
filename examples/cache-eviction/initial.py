"""Cache eviction policy: decide which cached key to drop when the cache is full."""

# EVOLVE-BLOCK-START
class Policy:
    """Least recently used: evict the key whose last access is oldest."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.clock = 0
        self.last_used = {}

    def access(self, key, hit):
        """Called for every request, in order, once it is known whether it hit."""
        self.clock += 1
        self.last_used[key] = self.clock

    def evict(self, cached):
        """Called on a miss with a full cache: return the key of `cached` to evict."""
        victim = min(cached, key=lambda k: self.last_used.get(k, 0))
        self.last_used.pop(victim, None)
        return victim
# EVOLVE-BLOCK-END
