"""社区议事厅 portal: Streamlit app, data model and services."""
