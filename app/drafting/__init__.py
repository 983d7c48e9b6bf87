"""The drafters' workspace: working versions, section editing, uploads, publishing."""
