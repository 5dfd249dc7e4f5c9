"""Streamlit helpers shared by the pages: cached engine, inputs, drawing. Pages stay thin."""
