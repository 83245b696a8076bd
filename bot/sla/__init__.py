"""SLA clocks: business calendars, policies, and the timers that remind before and at a breach."""
