"""Settings, errors, data types, ports (the adapters' interfaces) and prompt rendering: what every capability shares."""
