import { Text } from '@fluentui/react-components';
import { PageHeader } from '../components/PageHeader.tsx';

/** Shown for a screen whose feature has not landed in this build. */
export function NotBuiltYet(props: { title: string; issue: string }) {
  return (
    <div>
      <PageHeader title={props.title} />
      <Text>This screen arrives with {props.issue}.</Text>
    </div>
  );
}
