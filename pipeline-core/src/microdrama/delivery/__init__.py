"""Delivery stage: platform profiles, packaged episodes and checksummed manifests."""

from microdrama.delivery.manifest import Manifest, verify_manifest
from microdrama.delivery.package import package_episode
from microdrama.delivery.profiles import DeliveryProfile, get_profile, profile_names

__all__ = ["DeliveryProfile", "Manifest", "get_profile", "package_episode", "profile_names", "verify_manifest"]
