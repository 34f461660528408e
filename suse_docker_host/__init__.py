"""suse-docker-host: a Salt extension for SUSE Docker hosts."""
