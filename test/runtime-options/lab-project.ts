// The consumer project the lab builds for the runtime options (scripts/e2e-runtime-options.sh puts
// configserver/ in a temporary repository and synthesizes this project there). The unit tests
// synthesize the same project.
import { Project } from 'projen';
import { GoService, MultiArchPipeline, Platform } from '../../src';

/** GREETING: everything an ENV value could misread (`$`, `${}`, quotes, a backslash), to be read back as given. */
export const GREETING = 'hi $USER "quoted" \\ ${HOME} it\'s';
/** Where the config file is in the image. */
export const CONFIG_PATH = '/etc/configserver/config.json';

/** Adds the pipeline and configserver: a Go server that starts with `serve <config>`, its config file in the image. */
export function addConfigServer(project: Project, registry = '127.0.0.1:5000/e2e-runtime-options'): GoService {
  new MultiArchPipeline(project, {
    registry,
    platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64],
    // the lab serves no Dockerfile frontend image; BuildKit's built-in frontend is enough
    dockerfileSyntax: '',
  });
  return new GoService(project, 'configserver', {
    // the lab's stand-ins (scripts/lab.sh env: LAB_GOLANG_IMAGE, LAB_DISTROLESS_IMAGE)
    builderImage: '127.0.0.1:5000/lab/golang:1.24',
    runtimeImage: '127.0.0.1:5000/lab/distroless-static:nonroot',
    port: 8080,
    user: '10001:10001',
    args: ['serve', CONFIG_PATH],
    env: { GREETING },
    files: [{ source: 'config/app.json', destination: CONFIG_PATH }],
    healthcheck: { command: ['/usr/local/bin/configserver', 'health', CONFIG_PATH], intervalSeconds: 2, timeoutSeconds: 2, startPeriodSeconds: 1 },
  });
}
