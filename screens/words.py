"""Lines several screens say the same way."""

READ_ONLY_WHY = "read-only mode: relui only watches; start without --read-only to act"
