import { Project } from 'projen';
import { GeneratedFile } from './generated-file';
import { MultiArchPipeline } from './pipeline';
import { DockerfileModel } from '../dockerfile';

/** The file of a Dockerfile model, with the pipeline's `# syntax=` directive (read at synthesis). */
export function addDockerfile(project: Project, filePath: string, model: DockerfileModel): GeneratedFile {
  return new GeneratedFile(project, filePath, marker => model.render(marker, MultiArchPipeline.of(project)?.dockerfileSyntax));
}
