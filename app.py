"""Launch the Gradio app: `python app.py` (honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)."""

from app.ui import main

if __name__ == "__main__":
    main()
