"""The API versions this server reports. The reference documents the 10.2 appliance, whose REST API
serves version headers from 1 up; a version that does not exist runs the newest one."""

KACE_API_VERSION = 13
APPLIANCE_VERSION = "10.2"
