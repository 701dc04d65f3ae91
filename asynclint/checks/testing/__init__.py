"""ASL4xx: async tests that never run, and async code no test exercises."""
