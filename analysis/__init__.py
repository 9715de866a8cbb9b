"""Chinese text analysis for consultations: no Streamlit, no database."""
