"""Email notifications: settings, follows, the outbox queue and its worker, one-click unsubscribe."""
