"""Free IPs of each pod subnet as CloudWatch metrics (see ``handler``)."""
