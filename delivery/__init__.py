"""The delivery path's data: pinned tools and the commands that install them in a build."""
