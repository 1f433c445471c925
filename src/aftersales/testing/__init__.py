"""Test tools for projects that embed aftersales: the pytest plugin (:mod:`.plugin`, registered
through the ``pytest11`` entry point) with its ``aftersales_store`` and ``wechat_notification``
fixtures, and case histories collected as tests."""
