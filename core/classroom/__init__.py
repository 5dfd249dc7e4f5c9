"""Class sessions: quiz gallery, quiz statistics, storage, lessons."""
