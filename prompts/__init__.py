"""Planner prompts as data (installed as ``visprog_prompts``): in-context examples per
task family (``examples/*.json``) and prompt templates (``templates/*.txt``)."""
