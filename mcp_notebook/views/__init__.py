"""Views: ipywidgets building blocks that know nothing of sessions.

- ``SchemaForm`` (``forms``, ``fields``): a form built from a JSON Schema;
- ``WidgetAsker`` (``answers``): a server's questions answered in a widget;
- ``HandleView`` (``handle``): a background call's live view (progress, Cancel, questions, result);
- ``button_layout``, ``show_in`` (``layout``).

They are used by the core's displays (a ``CallHandle`` shows a ``HandleView``) and by the explorer
(``widgets``), which is what may talk to servers. ipywidgets is imported by these modules only.
"""
