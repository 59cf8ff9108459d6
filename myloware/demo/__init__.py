"""The demo pipeline: iggy → ideate gate → riley → alex → prepublish gate → quinn as a LangGraph
graph on the real services, with deterministic stand-in personas (docs/langgraph.md).

It depends on every app (runs and its checkpointer, artifacts, knowledge, socials, webhooks) and
none depends on it; it resumes its graphs through the runs app's gate-decided hook, which it
registers only when DEMO_PIPELINE_ENABLED is on.
"""
