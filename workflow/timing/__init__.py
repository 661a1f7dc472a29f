"""Time: the injected clock, the official Chinese calendar, periods, durable timers and the scheduler."""
