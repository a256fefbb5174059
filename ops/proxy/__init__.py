"""Proxies in front of the gateway: nginx (nginx.conf.template) and Traefik (traefik/)."""
