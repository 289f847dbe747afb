<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>CurationCommand</name>
    <message numerus="yes">
        <source>Keep %n image(s)</source>
        <translation>
            <numerusform>Keep %n image</numerusform>
            <numerusform>Keep %n images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n image(s)</source>
        <translation>
            <numerusform>Reject %n image</numerusform>
            <numerusform>Reject %n images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Clear the decision on %n image(s)</source>
        <translation>
            <numerusform>Clear the decision on %n image</numerusform>
            <numerusform>Clear the decision on %n images</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>Exported %n images to %1</source>
        <translation>
            <numerusform>Exported %n image to %1</numerusform>
            <numerusform>Exported %n images to %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StudioController</name>
    <message numerus="yes">
        <source>Generated %n images</source>
        <translation>
            <numerusform>Generated %n image</numerusform>
            <numerusform>Generated %n images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %n images to %1</source>
        <translation>
            <numerusform>Exported %n image to %1</numerusform>
            <numerusform>Exported %n images to %1</numerusform>
        </translation>
    </message>
</context>
</TS>
