import { DockerfileInstruction, EnvInstruction } from '../../dockerfile';
import { DockerfileStage, IDockerfileRule, shellCommands, stageName } from '../../dockerfile/dockerfile-model';

/**
 * Go rules for a Dockerfile model: refuses what broke real Go image builds. A GoService registers
 * them on its model, so its escape hatch cannot add them either.
 * - `go mod tidy` and `go get` (they rewrite go.mod/go.sum from the network mid-build);
 * - `go build` of a single `.go` file (the rest of the package is ignored);
 * - `ENV GOOS/GOARCH/GOARM` (pins one platform for every image).
 */
export class GoRules implements IDockerfileRule {
  public check(stage: DockerfileStage, instruction: DockerfileInstruction): void {
    const where = stageName(stage);
    for (const command of shellCommands(instruction)) {
      if (/\bgo\s+mod\s+tidy\b/.test(command) || /\bgo\s+get\b/.test(command)) {
        throw new Error(`"go mod tidy" and "go get" must not run in an image build (${where}): they rewrite go.mod/go.sum from the network. Commit a tidy go.mod and go.sum, and use "go mod download" + "go mod verify"`);
      }
      if (/\bgo\s+(build|install)\b[^;&|]*\s[^\s;&|]+\.go(\s|$|;|&|\|)/.test(command)) {
        throw new Error(`"go build" of a single .go file in ${where}: build the package ("./cmd/<name>") so every file of it is compiled`);
      }
    }
    if (instruction.keyword !== 'ENV') return;
    const names = instruction instanceof EnvInstruction
      ? Object.keys(instruction.variables)
      : [...instruction.value.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map(m => m[1]);
    const pinned = names.find(n => ['GOOS', 'GOARCH', 'GOARM'].includes(n));
    if (pinned) {
      throw new Error(`ENV ${pinned} in ${where} pins a platform for every build: let BuildKit's per-platform ARGs set it (GOOS=\${TARGETOS} GOARCH=\${TARGETARCH} on the build command)`);
    }
  }
}
