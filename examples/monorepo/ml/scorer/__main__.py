import os
import platform

print(f"scorer version={os.environ.get('APP_VERSION', 'dev')} machine={platform.machine()}", flush=True)
